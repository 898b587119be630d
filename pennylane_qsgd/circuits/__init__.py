"""Circuits layer: PennyLane templates built on the core (block encodings of L behind one
interface, QSVT and HHL inversion, amplification, state preparation, the gradient-flow solver,
tomography)."""

from pennylane_qsgd.circuits.amplification import (
    SuccessAmplification,
    amplification_rounds,
    amplified_probability,
    success_oracle,
)
from pennylane_qsgd.circuits.amplified_simulation import AmplifiedHamiltonianSimulation
from pennylane_qsgd.circuits.block_encoding import (
    DenseBlockEncoding,
    pad_with_identity,
    unitary_dilation,
)
from pennylane_qsgd.circuits.combination_encoding import LinearCombinationEncoding
from pennylane_qsgd.circuits.composite_encoding import CompositeEncoding, encoded_matrix
from pennylane_qsgd.circuits.dense_encoding import DenseEulerEncoding
from pennylane_qsgd.circuits.encoding import (
    ENCODINGS,
    EulerEncoding,
    encoding_class,
    register_encoding,
)
from pennylane_qsgd.circuits.hamiltonian_simulation import HamiltonianSimulation, trotter_evolution
from pennylane_qsgd.circuits.hermitian_qsvt import HermitianQSVT
from pennylane_qsgd.circuits.hhl import HHLModel, hhl_model
from pennylane_qsgd.circuits.hhl_phase_estimation import hermitian_dilation
from pennylane_qsgd.circuits.hhl_solver import HHLSolver
from pennylane_qsgd.circuits.hhl_twin import HHLOutput, hhl_output
from pennylane_qsgd.circuits.lchs import LCHSEvolution
from pennylane_qsgd.circuits.lchs_solver import LCHSSolver
from pennylane_qsgd.circuits.product_encoding import ProductEncoding
from pennylane_qsgd.circuits.qsvt_solver import InverseAngles, QSVTInverse, inverse_angles
from pennylane_qsgd.circuits.reference_coordinate import (
    from_reference_coordinate,
    with_reference_coordinate,
)
from pennylane_qsgd.circuits.resources import TemplateResources
from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.circuits.solver_layout import SolverLayout, required_wires
from pennylane_qsgd.circuits.solver_metadata import SolverInfo, solver_info
from pennylane_qsgd.circuits.solver_twins import ideal_solution, solver_state, success_branch
from pennylane_qsgd.circuits.state_prep import NormalizedStatePrep
from pennylane_qsgd.circuits.structured_block_encoding import StructuredEulerEncoding
from pennylane_qsgd.circuits.tomography import TomographyResult, estimate_real_vector
from pennylane_qsgd.circuits.tomography_counts import recommended_shots

__all__ = [
    "LCHSEvolution",
    "LCHSSolver",
    "AmplifiedHamiltonianSimulation",
    "HHLOutput",
    "HHLSolver",
    "HamiltonianSimulation",
    "HermitianQSVT",
    "hermitian_dilation",
    "hhl_output",
    "trotter_evolution",
    "CompositeEncoding",
    "DenseBlockEncoding",
    "DenseEulerEncoding",
    "ENCODINGS",
    "EulerEncoding",
    "LinearCombinationEncoding",
    "ProductEncoding",
    "encoded_matrix",
    "encoding_class",
    "register_encoding",
    "solver_info",
    "GradientFlowSolver",
    "HHLModel",
    "InverseAngles",
    "NormalizedStatePrep",
    "QSVTInverse",
    "SolverInfo",
    "SolverLayout",
    "StructuredEulerEncoding",
    "SuccessAmplification",
    "TemplateResources",
    "TomographyResult",
    "amplification_rounds",
    "amplified_probability",
    "estimate_real_vector",
    "from_reference_coordinate",
    "hhl_model",
    "ideal_solution",
    "inverse_angles",
    "recommended_shots",
    "required_wires",
    "solver_state",
    "success_branch",
    "success_oracle",
    "pad_with_identity",
    "unitary_dilation",
    "with_reference_coordinate",
]
